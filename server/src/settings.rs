//! The server's configuration, from command-line flags and `PRIVACY_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::storage::DatabaseUrl;

/// What `serve` needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database: DatabaseUrl,
    pub www_dir: PathBuf,
    pub dist_dir: PathBuf,
    /// HTTP worker threads; `None` is one per core.
    pub workers: Option<usize>,
}
