//! Helpers for tests that need a real PostgreSQL: a throwaway cluster started for the test and torn down
//! when it ends. A test that cannot get a server fails with the reason and how to fix it; it never skips.

pub use dbarch_live::TempCluster;

/// Start a throwaway cluster or fail the test saying how to get one.
pub fn cluster() -> TempCluster {
    match TempCluster::start() {
        Ok(c) => c,
        Err(e) => panic!(
            "this test needs a PostgreSQL server it can start itself: {e}\n\
             `scripts/test` installs what the tests need"
        ),
    }
}

/// A connection to a fresh database of the cluster, named after the test.
pub fn database(cluster: &TempCluster, name: &str) -> postgres::Client {
    if let Err(e) = cluster.create_database(name) {
        panic!("cannot create database {name}: {e}");
    }
    match cluster.connect(name) {
        Ok(c) => c,
        Err(e) => panic!("cannot connect to database {name}: {e}\n{}", cluster.log()),
    }
}

/// Install HypoPG in the connected database, or fail the test saying how to get it.
pub fn hypopg(db: &mut postgres::Client) {
    if let Err(e) = db.batch_execute("CREATE EXTENSION IF NOT EXISTS hypopg") {
        panic!(
            "this test needs HypoPG on the PostgreSQL it starts: {e}\n\
             install it with `apt-get install postgresql-15-hypopg` (`scripts/test` does)"
        );
    }
}
