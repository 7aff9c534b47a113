//! What a refused value is about: a field of a setup, named by each face its own way (the
//! command line by its flag, the wizard and plain mode by the label on screen). Errors carry the
//! field, and a sentence that mentions another field holds a mention ([`Field::mention`]), so no
//! face rewrites another face's words.

use crate::model::catalog::Input;

/// A field of a setup, as typed on the command line or in the wizard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Integration,
    /// A permission input of a preset (bucket, Lambda ARNs, policy file ...).
    Input(Input),
    /// Several presets' first inputs given at once.
    Inputs(Vec<Input>),
    /// The choice of preset itself.
    Permissions,
    /// The policy file at this path.
    PolicyFileAt(String),
    ExternalId,
    WorkspaceId,
    SourceId,
    RoleName,
    StackName,
    RotateExternalId,
    /// A flag only the command line has (`--region`, `--accounts` ...), as typed.
    Flag(String),
}

/// How a face names fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// By flag: the command line.
    Flags,
    /// By what the screen calls it: the wizard and plain mode.
    Labels,
}

const MENTION_OPEN: char = '⟦';
const MENTION_CLOSE: char = '⟧';

impl Field {
    /// The flag that carries it: `--bucket`, `--bucket and --lambda-arn`, `--policy-file PATH`.
    pub fn flag(&self) -> String {
        match self {
            Field::Integration => "--integration".into(),
            Field::Input(input) => input.flag().into(),
            Field::Inputs(inputs) => inputs
                .iter()
                .map(|input| input.flag())
                .collect::<Vec<_>>()
                .join(" and "),
            Field::Permissions => "permissions".into(),
            Field::PolicyFileAt(path) => format!("--policy-file {path}"),
            Field::ExternalId => "--external-id".into(),
            Field::WorkspaceId => "--workspace-id".into(),
            Field::SourceId => "--source-id".into(),
            Field::RoleName => "--role-name".into(),
            Field::StackName => "--stack-name".into(),
            Field::RotateExternalId => "--rotate-external-id".into(),
            Field::Flag(flag) => flag.clone(),
        }
    }

    /// What the wizard's screens call it.
    pub fn label(&self) -> String {
        match self {
            Field::Integration => "the integration".into(),
            Field::Input(Input::Bucket) => "the S3 bucket".into(),
            Field::Input(Input::BucketRegion) => "the bucket region".into(),
            Field::Input(Input::LambdaArns) => "the Lambda ARN(s)".into(),
            Field::Input(Input::PolicyFile) | Field::PolicyFileAt(_) => "a policy file".into(),
            Field::Input(other) => format!("the {}", other.label()),
            Field::Inputs(inputs) => inputs
                .iter()
                .map(|input| Field::Input(*input).label())
                .collect::<Vec<_>>()
                .join(" and "),
            Field::Permissions => "the permissions".into(),
            Field::ExternalId => "your own external ID".into(),
            Field::WorkspaceId => "the workspace ID".into(),
            Field::SourceId => "a source ID".into(),
            Field::RoleName => "the role name".into(),
            Field::StackName => "the stack name".into(),
            Field::RotateExternalId => "the rotation".into(),
            Field::Flag(flag) => flag.clone(),
        }
    }

    pub fn named(&self, naming: Naming) -> String {
        match naming {
            Naming::Flags => self.flag(),
            Naming::Labels => self.label(),
        }
    }

    /// The field inside a sentence: shown as each face names it ([`in_words`]).
    pub fn mention(&self) -> String {
        format!("{MENTION_OPEN}{}{MENTION_CLOSE}", self.flag())
    }
}

/// A field named by its flag, as the command line and the core's checks spell it.
impl From<&str> for Field {
    fn from(flag: &str) -> Self {
        match flag {
            "--integration" => Field::Integration,
            "permissions" => Field::Permissions,
            "--external-id" => Field::ExternalId,
            "--workspace-id" => Field::WorkspaceId,
            "--source-id" => Field::SourceId,
            "--role-name" => Field::RoleName,
            "--stack-name" => Field::StackName,
            "--rotate-external-id" => Field::RotateExternalId,
            other => Input::ALL
                .iter()
                .find(|input| input.flag() == other)
                .map_or_else(
                    || Field::Flag(other.to_string()),
                    |input| Field::Input(*input),
                ),
        }
    }
}

impl From<String> for Field {
    fn from(flag: String) -> Self {
        Field::from(flag.as_str())
    }
}

impl From<Input> for Field {
    fn from(input: Input) -> Self {
        Field::Input(input)
    }
}

/// A sentence with its mentions of fields named as `naming` names them.
pub fn in_words(sentence: &str, naming: Naming) -> String {
    let mut out = String::with_capacity(sentence.len());
    let mut rest = sentence;
    while let Some(start) = rest.find(MENTION_OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + MENTION_OPEN.len_utf8()..];
        let Some(end) = after.find(MENTION_CLOSE) else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&Field::from(&after[..end]).named(naming));
        rest = &after[end + MENTION_CLOSE.len_utf8()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_reads_as_each_face_names_it() {
        let sentence = format!(
            "write one policy and use {}",
            Field::Input(Input::PolicyFile).mention()
        );
        assert_eq!(
            in_words(&sentence, Naming::Flags),
            "write one policy and use --policy-file"
        );
        assert_eq!(
            in_words(&sentence, Naming::Labels),
            "write one policy and use a policy file"
        );
        assert_eq!(in_words("no mention", Naming::Labels), "no mention");
        assert_eq!(in_words("an open ⟦ only", Naming::Flags), "an open ⟦ only");
    }

    #[test]
    fn every_field_reads_back_from_its_flag() {
        let fields = [
            Field::Integration,
            Field::ExternalId,
            Field::WorkspaceId,
            Field::SourceId,
            Field::RoleName,
            Field::StackName,
            Field::RotateExternalId,
            Field::Permissions,
        ]
        .into_iter()
        .chain(Input::ALL.iter().map(|input| Field::Input(*input)));
        for field in fields {
            assert_eq!(Field::from(field.flag()), field);
            assert!(!field.label().starts_with("--"), "{field:?}");
        }
    }
}
