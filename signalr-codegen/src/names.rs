//! Names in generated code that never collide: every scope of the output (a module, a
//! class, a parameter list) hands out names through one [`Scope`], the contract's own names
//! first, then what the generator adds; a name already taken or reserved gets `_` appended
//! until it is free. So a contract can use any name (a keyword, a helper's name, a member
//! of `HubConnection`): the output renames, deterministically, instead of breaking.

use std::collections::BTreeSet;

/// The names handed out in one scope of generated code.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// A scope where `reserved` (keywords, names the language or the generated code needs
    /// there) are never handed out.
    pub(crate) fn new<'a>(reserved: impl IntoIterator<Item = &'a str>) -> Self {
        Scope {
            taken: reserved.into_iter().map(str::to_owned).collect(),
        }
    }

    /// `base`, or `base` with as many `_` appended as needed to be free; taken from now on.
    pub(crate) fn claim(&mut self, base: &str) -> String {
        let mut name = if base.is_empty() {
            "_".to_owned()
        } else {
            base.to_owned()
        };
        while self.taken.contains(&name) {
            name.push('_');
        }
        self.taken.insert(name.clone());
        name
    }

    /// Whether `name` is taken (or reserved).
    pub(crate) fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn names_yield_to_earlier_and_reserved_ones() {
        let mut scope = Scope::new(["new", "class"]);
        assert_eq!(scope.claim("send"), "send");
        assert_eq!(scope.claim("send"), "send_");
        assert_eq!(scope.claim("send_"), "send__");
        assert_eq!(scope.claim("new"), "new_");
        assert_eq!(scope.claim(""), "_");
        assert!(scope.is_taken("class"));
    }
}
