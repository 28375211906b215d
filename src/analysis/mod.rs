//! Graph analyses too rich for the declarative language, used by built-in checks
//! (`check = "…"` in a policy). They read the resolved graph and answer with structured
//! results; `policy::builtin` turns those into verdicts.

pub mod cost;
pub mod diagram;
pub mod external;
mod index;
pub mod links;
pub mod peering;
pub mod peering_sg;
pub mod reverse_peering;
pub mod route_destination;

#[cfg(test)]
mod tests;
