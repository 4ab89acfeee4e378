//! The committed GraphQL schema (`docs/api/schema.graphql`) is the one the code serves: a
//! change to a GraphQL type fails here until the document is regenerated with
//! `BOXOFFICE_BLESS=1 cargo nextest run -p boxoffice-booking -E 'test(committed_sdl)'`.

use std::path::PathBuf;

use boxoffice_booking::graphql::schema_for_sdl;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/api/schema.graphql")
}

#[test]
fn the_committed_sdl_matches_the_schema_in_the_code() {
    let rendered = schema_for_sdl().sdl();
    let path = committed_path();
    if std::env::var_os("BOXOFFICE_BLESS").is_some() {
        std::fs::write(&path, &rendered).expect("write docs/api/schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/api/schema.graphql differs from the schema in the code; regenerate it with \
         BOXOFFICE_BLESS=1 cargo nextest run -p boxoffice-booking -E 'test(committed_sdl)' \
         and review the diff"
    );
}
