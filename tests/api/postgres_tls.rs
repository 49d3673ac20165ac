//! PostgreSQL over TLS (rustls): `sslmode` and `sslrootcert` in the database URL are honoured,
//! against the local server and its self-signed certificate (Debian's `ssl-cert-snakeoil`, for
//! `localhost`; `.ci/run` turns TLS on if it is off).

use crate::helpers::{Backend, TestApp};

/// The local server's self-signed certificate.
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// `(TLS connections, all connections)` of a database, as the server sees them.
async fn transport_of(admin_url: &str, database: &str) -> (i64, i64) {
    let pool = sqlx::PgPool::connect(admin_url).await.unwrap();
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s \
         JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.datname = $1",
    )
    .bind(database)
    .fetch_one(&pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_is_honoured_and_certificates_are_checked() {
    let Some(Backend::Postgres(base)) = Backend::postgres() else {
        return;
    };
    // `require`: the server serves over TLS, and Doorward's own pool is encrypted.
    let app = TestApp::spawn(Backend::Postgres(with_params(&base, "sslmode=require"))).await;
    app.user("ann@example.test", "correct horse battery").await;
    assert_eq!(
        app.login("ann@example.test", "correct horse battery")
            .await
            .status(),
        200
    );
    let url = app.database_url().to_owned();
    let database = app.database_name();
    let (tls, all) = transport_of(&base, &database).await;
    assert!(all > 0, "the app holds connections");
    assert_eq!(tls, all, "every connection is TLS");

    // `disable`: plaintext, as asked.
    let plain = doorward::store::PostgresStore::connect(&with_params(&url, "sslmode=disable"))
        .await
        .unwrap();
    drop(plain);

    // `verify-full` checks the chain and the name: the self-signed certificate as the root and
    // `localhost` pass; another root or another name is refused.
    let local = url.replace("127.0.0.1", "localhost");
    let verified = doorward::store::PostgresStore::connect(&with_params(
        &local,
        &format!("sslmode=verify-full&sslrootcert={SNAKEOIL}"),
    ))
    .await;
    assert!(verified.is_ok(), "{:?}", verified.err());
    let wrong_root = doorward::store::PostgresStore::connect(&with_params(
        &local,
        "sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
    ))
    .await;
    assert!(wrong_root.is_err(), "an unknown issuer is refused");
    let wrong_name = doorward::store::PostgresStore::connect(&with_params(
        &url.replace("localhost", "127.0.0.1"),
        &format!("sslmode=verify-full&sslrootcert={SNAKEOIL}"),
    ))
    .await;
    assert!(
        wrong_name.is_err(),
        "127.0.0.1 is not the certificate's name"
    );
    // `verify-ca` checks the chain. (sqlx 0.8's rustls verifier still compares the name, so
    // connect by the certificate's name: see README "PostgreSQL".)
    let ca_only = doorward::store::PostgresStore::connect(&with_params(
        &local,
        &format!("sslmode=verify-ca&sslrootcert={SNAKEOIL}"),
    ))
    .await;
    assert!(ca_only.is_ok(), "{:?}", ca_only.err());
    let ca_wrong_root = doorward::store::PostgresStore::connect(&with_params(
        &local,
        "sslmode=verify-ca&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
    ))
    .await;
    assert!(ca_wrong_root.is_err(), "an unknown issuer is refused");
}
