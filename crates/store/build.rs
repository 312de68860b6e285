// `sqlx::migrate!` embeds the migration folders at compile time, but cargo does not know
// they are inputs: without this, a new migration file is left out of an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
