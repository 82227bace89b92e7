//! `noorle whoami`

use serde_json::json;

use crate::args::Global;
use crate::context;
use crate::fail::Failure;
use crate::output;

pub async fn run(g: &Global) -> Result<(), Failure> {
    let client = context::client(g)?;
    let me = client.whoami().await?;
    if g.json {
        output::json(&json!({
            "api_key": me,
            "source": client.key_source(),
            "base_url": client.base_url(),
        }));
    } else {
        let mut pairs = output::key_pairs(&me);
        pairs.push(("source", client.key_source().to_string()));
        pairs.push(("base URL", client.base_url().to_owned()));
        output::pairs(&pairs);
    }
    Ok(())
}
