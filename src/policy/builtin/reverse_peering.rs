//! `check = "reverse-peering"` on `azurerm_virtual_network_peering` and
//! `google_compute_network_peering`: the peering back from the remote network must exist.

use super::{Check, CheckInput};
use crate::analysis::links::Found;
use crate::analysis::reverse_peering::reverse;
use crate::policy::tri::{Fact, Tri, Verdict};

pub struct ReversePeering;

impl Check for ReversePeering {
    fn name(&self) -> &'static str {
        "reverse-peering"
    }

    fn summary(&self) -> &'static str {
        "on azurerm_virtual_network_peering / google_compute_network_peering: fails when no peering of the same type goes back from the remote network to the local one"
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let g = input.graph;
        match reverse(g, input.node) {
            Found::Yes(q) => Verdict::fact(
                Tri::True,
                Fact::text(format!("{} peers back", g.node(q).address)),
            ),
            Found::Outside(why) => Verdict::fact(
                Tri::False,
                Fact::text(format!(
                    "{why}; a peering carries traffic only once both networks peer with each other (Azure leaves it Initiated, GCP INACTIVE): add the {} back, with the two networks swapped",
                    g.node(input.node).type_
                )),
            ),
            Found::Unknown(why) => Verdict::fact(Tri::Unknown, Fact::text(why)),
        }
    }
}
