//! The few HTML pages the API serves for people who open it in a browser. No scripts and no
//! styles, so they fit the API's content security policy (`default-src 'none'`).

use std::fmt::Write;

use actix_web::{
    HttpRequest,
    http::header::{self, Header},
    mime,
};

use crate::views::landing::LandingOut;

/// Whether the client ranks HTML above JSON: browsers do; `*/*`, no `Accept`, or JSON first get
/// JSON.
pub fn prefers_html(req: &HttpRequest) -> bool {
    let Ok(accept) = header::Accept::parse(req) else { return false };
    accept
        .ranked()
        .iter()
        .find_map(|media| match (media.type_(), media.subtype()) {
            (mime::TEXT, mime::HTML) => Some(true),
            (mime::APPLICATION, mime::JSON) | (mime::STAR, _) | (mime::APPLICATION, mime::STAR) => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

/// `text` with the characters HTML gives meaning to escaped, for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A whole page: `title` in the head and as the heading, then `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n\
         {body}</body>\n</html>\n"
    )
}

/// A link, escaped.
fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(href), escape(text))
}

/// The landing page as HTML: the same content as its JSON.
pub fn landing(landing: &LandingOut) -> String {
    let mut body = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(body, "<p>{}</p>", escape(landing.description));
    let _ = writeln!(
        body,
        "<p>{} (Swagger UI, try every operation) · {} (OpenAPI 3.1, to generate clients) · version {}</p>",
        link(landing.docs, "Interactive documentation"),
        link(landing.openapi, "The OpenAPI document"),
        escape(landing.version),
    );
    body.push_str("<h2>Collections</h2>\n<ul>\n");
    for collection in &landing.collections {
        let _ = writeln!(
            body,
            "<li>{}: {} ({} records)</li>",
            link(&collection.href, &collection.href),
            escape(collection.title),
            collection.count
        );
    }
    body.push_str("</ul>\n<h2>Feeds and changes</h2>\n<ul>\n");
    for feed in &landing.feeds {
        let _ = writeln!(body, "<li>{}: {}, JSON Feed 1.1</li>", link(&feed.href, &feed.href), escape(feed.title));
    }
    let _ = writeln!(
        body,
        "<li>{}: every change in commit order, for mirroring</li>\n</ul>",
        link(landing.changes, landing.changes)
    );
    let _ = writeln!(
        body,
        "<p>Reads need no account. To write, get a bearer token from <code>POST {}</code>.</p>",
        escape(landing.auth_token)
    );
    page(landing.name, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_gives_meaning_to() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("市发改局"), "市发改局");
    }
}
