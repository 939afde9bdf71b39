//! Multi-node tests driven by a tiny in-test loop.
