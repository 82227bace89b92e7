//! An axum hello-world on the same machine, the baseline the local server is measured against.
//! Prints `listening on http://HOST:PORT` first, like noorle-dev-server.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
