//! Runnable examples of the toolkit; each lives in this package's `examples/` targets.
