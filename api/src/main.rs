//! `duban`: serve, migrate, import, print the OpenAPI document.

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    api::cli::run().await
}
