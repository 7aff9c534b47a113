//! The one integration-test binary (each extra binary links the AWS SDK again).

mod cli;
mod moto;
mod properties;
mod templates;
