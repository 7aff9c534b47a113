//! Where a setup's settings go in a Segment workspace, and the choices a face offers when that
//! isn't named: a function, an instance, a source to connect a new instance to, or the values
//! left for later. A face applies the choice made to its target and prepares again.

/// Where the settings go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// A function, by its ID or display name (the functions).
    pub function: Option<String>,
    /// Destination instances, by ID, one per settings group (several Lambda functions: several).
    pub destinations: Vec<String>,
    /// A source to connect a new instance to (a destination function, or a catalog destination
    /// with no instance yet): the instance is made disabled, to be enabled once checked.
    pub source: Option<String>,
    /// The face can ask (the wizard, plain mode): an instance not named is a choice offered,
    /// not a value left to do by hand (the command line, where flags name it).
    pub ask: bool,
    /// A destination function's values were chosen to be left: only its definitions are written.
    pub definitions_only: bool,
}

/// What one choice picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Function(String),
    /// An instance, for the next settings group without one.
    Destination(String),
    /// A new, disabled instance on this source.
    Source(String),
    /// A destination function's definitions only; its values filled in by hand later.
    DefinitionsOnly,
}

/// One row of a choice: what it picks, a short name (an ID, a source's name) and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub pick: Pick,
    pub name: String,
    pub detail: String,
}

impl Choice {
    /// The row as a list shows it.
    pub fn row(&self) -> String {
        format!("{}  {}", self.name, self.detail)
    }

    /// For the command line: the flag that makes this choice (none for "later").
    pub fn flag(&self) -> Option<String> {
        match &self.pick {
            Pick::Function(id) => Some(format!("--function {id}")),
            Pick::Destination(id) => Some(format!("--destination {id}")),
            Pick::Source(id) => Some(format!("--source {id}")),
            Pick::DefinitionsOnly => None,
        }
    }
}

impl Target {
    /// The target once a choice is made.
    pub fn apply(&mut self, pick: &Pick) {
        match pick {
            Pick::Function(id) => self.function = Some(id.clone()),
            Pick::Destination(id) => self.destinations.push(id.clone()),
            Pick::Source(id) => {
                self.destinations.clear();
                self.source = Some(id.clone());
            }
            Pick::DefinitionsOnly => self.definitions_only = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pick_lands_where_the_next_prepare_reads_it() {
        let mut target = Target {
            ask: true,
            ..Target::default()
        };
        target.apply(&Pick::Function("dfn_1".into()));
        target.apply(&Pick::Destination("d1".into()));
        target.apply(&Pick::Destination("d2".into()));
        assert_eq!(target.function.as_deref(), Some("dfn_1"));
        assert_eq!(target.destinations, ["d1", "d2"]);
        target.apply(&Pick::Source("src".into()));
        assert!(target.destinations.is_empty());
        assert_eq!(target.source.as_deref(), Some("src"));
        target.apply(&Pick::DefinitionsOnly);
        assert!(target.definitions_only && target.ask);
    }

    #[test]
    fn a_choice_says_the_flag_that_makes_it() {
        let choice = |pick| Choice {
            pick,
            name: "n".into(),
            detail: "d".into(),
        };
        assert_eq!(
            choice(Pick::Source("src_1".into())).flag().as_deref(),
            Some("--source src_1")
        );
        assert_eq!(choice(Pick::DefinitionsOnly).flag(), None);
        assert_eq!(choice(Pick::DefinitionsOnly).row(), "n  d");
    }
}
