//! Request bodies: size-limited JSON, parsed with the path of any field at fault, then checked
//! with `validator`. Malformed JSON is a 400, a body that does not fit the schema or breaks a rule
//! a 422 naming every field, an oversize body a 413. Imports also read notice text, chosen by
//! `Content-Type`; another media type is a 415.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::{
    domain::import::notice::ImportInput,
    error::{ApiError, parse_json, validation_problem},
    http::state::AppState,
};

/// The largest body the service reads: the seed documents are 150 KiB; this leaves room for big
/// imports.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A JSON body of type `T` that passed its validation rules.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move {
            let JsonBody(value) = body.await?;
            value.validate().map_err(validation_problem)?;
            Ok(Body(value))
        })
    }
}

/// A JSON body of type `T`, parsed but not validated (for types that check themselves).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = read_limited(req, payload);
        Box::pin(async move { Ok(JsonBody(parse_json(&bytes.await?)?)) })
    }
}

/// The body of `POST /api/v1/imports`, read by its `Content-Type`: `application/json` is a
/// document file, `text/plain` the text of a notice. Anything else is a 415.
#[derive(Debug)]
pub struct ImportBody(pub ImportInput);

impl FromRequest for ImportBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_type = req.headers().get(header::CONTENT_TYPE).map(|value| {
            value.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
        });
        let bytes = read_limited(req, payload);
        Box::pin(async move {
            match media_type.as_deref() {
                Some("application/json") => Ok(ImportBody(ImportInput::File(Box::new(parse_json(&bytes.await?)?)))),
                Some("text/plain") => Ok(ImportBody(ImportInput::Notice(bytes.await?.to_vec()))),
                other => Err(ApiError::UnsupportedMediaType(format!(
                    "{}: send application/json (a document file) or text/plain (the text of a notice)",
                    match other {
                        Some(media_type) => format!("the body's Content-Type {media_type} cannot be imported"),
                        None => "the body has no Content-Type".to_owned(),
                    }
                ))),
            }
        })
    }
}

/// Reads the whole body, refusing one larger than [`MAX_BODY_BYTES`] (by its declared length
/// first, so that an oversize upload is not read at all).
fn read_limited(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::BytesMut, ApiError>> + use<> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let read_timeout = req.app_data::<web::Data<AppState>>().map(|state| state.body_read_timeout);
    let mut payload = payload.take();
    async move {
        if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let read = async {
            let mut bytes = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|error| ApiError::BadRequest {
                    detail: format!("the body could not be read: {error}"),
                    errors: Vec::new(),
                })?;
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(bytes)
        };
        // A client trickling its body must not hold a connection and a worker's attention for ever.
        match read_timeout {
            Some(limit) => tokio::time::timeout(limit, read).await.map_err(|_| {
                ApiError::RequestTimeout(format!("the body was not received within {} ms", limit.as_millis()))
            })?,
            None => read.await,
        }
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes"))
}
