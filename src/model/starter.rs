//! The starter function: for an integration that invokes a Lambda function (the Lambda and
//! Personalize destinations), a small function made with the role when the customer has none
//! yet. Its code and what its execution role may do beyond its own log group are data
//! (`starterFunction` of a preset in `assets/integrations.json`, the code in `assets/starter/`);
//! this module names it and writes its resources, for the stack and for IAM directly.

use serde::Deserialize;
use serde_json::{Value, json};

include!(concat!(env!("OUT_DIR"), "/starters.rs"));

/// The resources a stack with a starter function holds besides the role and its policy.
pub const FUNCTION_ID: &str = "StarterFunction";
pub const EXECUTION_ROLE_ID: &str = "StarterFunctionRole";
pub const EXECUTION_POLICY_ID: &str = "StarterFunctionPolicy";
/// The stack's output with the function's ARN.
pub const FUNCTION_OUTPUT: &str = "StarterFunctionArn";
/// The execution role's inline policy.
pub const EXECUTION_POLICY_NAME: &str = "starter-function-logs";
/// Lambda's handler: CloudFormation writes inline code as `index.py`, and the IAM path zips it
/// under that name too.
pub const HANDLER: &str = "index.handler";
pub const CODE_FILE: &str = "index.py";
/// The tag on the Segment role (the IAM path) that names its starter function, so a delete
/// without a record finds it.
pub const STARTER_TAG: &str = "segment-starter-function";
/// Seconds: Segment waits 5 for each call.
pub const TIMEOUT_SECONDS: i32 = 3;
pub const MEMORY_MB: i32 = 128;

/// A preset's starter function, as `assets/integrations.json` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StarterSpec {
    /// The handler's file in `assets/starter/`.
    pub code: String,
    /// A runtime Lambda supports (Python: the file is Python).
    pub runtime: String,
    /// Actions its execution role may take beyond writing its log group (Personalize's).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Environment variables the handler reads, made empty for the customer to fill in.
    #[serde(default)]
    pub environment: Vec<String>,
}

/// The embedded text of a starter function's code, by file name.
pub fn code_source(name: &str) -> Option<&'static str> {
    STARTERS
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
}

/// A starter function as a plan makes it: named, placed, its code read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Starter {
    pub name: String,
    pub region: String,
    /// The account, or the placeholder a plan without credentials names.
    pub account: String,
    pub spec: StarterSpec,
    pub code: String,
}

/// Lambda's limit on a function's name.
const NAME_MAX: usize = 64;

impl Starter {
    /// The starter function of a setup whose stack is `stack_name` (the IAM path names it the same,
    /// so one plan gives one name): `<stack>-starter`, cut to Lambda's 64 characters.
    pub fn name_for(stack_name: &str) -> String {
        const SUFFIX: &str = "-starter";
        let keep = stack_name.len().min(NAME_MAX - SUFFIX.len());
        let base: String = stack_name.chars().take(keep).collect();
        format!("{}{SUFFIX}", base.trim_end_matches('-'))
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account, self.name
        )
    }

    /// The execution role's name on the IAM path (a stack names its own).
    pub fn role_name(&self) -> String {
        execution_role_name(&self.name)
    }

    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.name)
    }

    /// Lambda, and only Lambda, may assume the execution role.
    pub fn trust_policy() -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"
            }]
        })
    }

    /// The execution role's policy: its own log group (made on its first run), and the
    /// integration's actions.
    pub fn execution_policy(&self) -> Value {
        let group = format!(
            "arn:aws:logs:{}:{}:log-group:{}",
            self.region,
            self.account,
            self.log_group()
        );
        self.policy_with(json!(group), json!(format!("{group}:*")))
    }

    fn policy_with(&self, group: Value, streams: Value) -> Value {
        let mut statements = vec![
            json!({"Sid": "CreateItsLogGroup", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": group}),
            json!({"Sid": "WriteItsLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": streams}),
        ];
        if !self.spec.actions.is_empty() {
            statements.push(json!({
                "Sid": "IntegrationActions",
                "Effect": "Allow",
                "Action": self.spec.actions,
                "Resource": "*"
            }));
        }
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    /// The environment the function is made with: each variable the handler reads, empty.
    pub fn environment(&self) -> Vec<(String, String)> {
        self.spec
            .environment
            .iter()
            .map(|name| (name.clone(), String::new()))
            .collect()
    }

    /// Adds the function, its execution role and an output of its ARN to a template. The
    /// template names its own account and region, so it is the same wherever it is deployed.
    pub fn add_to(&self, template: &mut Value) {
        let group = json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{}",
            self.log_group()
        )});
        let streams = json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{}:*",
            self.log_group()
        )});
        let mut function = json!({
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": self.name,
                "Description": "Starter function for Segment events (segment-aws-setup): logs each event; replace its code with yours",
                "Runtime": self.spec.runtime,
                "Handler": HANDLER,
                "Timeout": TIMEOUT_SECONDS,
                "MemorySize": MEMORY_MB,
                "Role": {"Fn::GetAtt": [EXECUTION_ROLE_ID, "Arn"]},
                "Code": {"ZipFile": self.code},
                "Tags": [{"Key": "created-by", "Value": "segment-aws-setup"}]
            }
        });
        let environment: serde_json::Map<String, Value> = self
            .environment()
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        if !environment.is_empty() {
            function["Properties"]["Environment"] = json!({"Variables": environment});
        }
        let role = json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "Execution role of the starter function for Segment events (segment-aws-setup): its own logs only",
                "AssumeRolePolicyDocument": Self::trust_policy(),
                "Tags": [{"Key": "created-by", "Value": "segment-aws-setup"}]
            }
        });
        // Its own resource, as the Segment role's policy is (and as IAM's PutRolePolicy makes it
        // on the IAM path); the function waits for it, so its first run can write its logs.
        let policy = json!({
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": EXECUTION_POLICY_NAME,
                "Roles": [{"Ref": EXECUTION_ROLE_ID}],
                "PolicyDocument": self.policy_with(group, streams)
            }
        });
        function["DependsOn"] = json!(EXECUTION_POLICY_ID);
        if let Some(resources) = template["Resources"].as_object_mut() {
            resources.insert(EXECUTION_ROLE_ID.into(), role);
            resources.insert(EXECUTION_POLICY_ID.into(), policy);
            resources.insert(FUNCTION_ID.into(), function);
        }
        if let Some(outputs) = template["Outputs"].as_object_mut() {
            outputs.insert(
                FUNCTION_OUTPUT.into(),
                json!({
                    "Description": "The starter function: the destination's Lambda setting",
                    "Value": {"Fn::GetAtt": [FUNCTION_ID, "Arn"]}
                }),
            );
        }
    }
}

/// The execution role of the starter function `function` on the IAM path: `<function>-role`,
/// cut to IAM's 64 characters.
pub fn execution_role_name(function: &str) -> String {
    const SUFFIX: &str = "-role";
    let base: String = function.chars().take(64 - SUFFIX.len()).collect();
    format!("{base}{SUFFIX}")
}

/// The logical ID and type of each resource a starter function adds to a stack.
pub fn stack_resources() -> [(&'static str, &'static str); 3] {
    [
        (EXECUTION_ROLE_ID, "AWS::IAM::Role"),
        (EXECUTION_POLICY_ID, "AWS::IAM::Policy"),
        (FUNCTION_ID, "AWS::Lambda::Function"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starter(name: &str) -> Starter {
        Starter {
            name: name.into(),
            region: "us-west-2".into(),
            account: "123456789012".into(),
            spec: StarterSpec {
                code: "lambda-destination.py".into(),
                runtime: "python3.13".into(),
                actions: Vec::new(),
                environment: Vec::new(),
            },
            code: code_source("lambda-destination.py")
                .expect("embedded")
                .into(),
        }
    }

    #[test]
    fn the_name_fits_lambdas_limit_and_says_what_it_is() {
        assert_eq!(
            Starter::name_for("segment-lambda-destination-k3x9qa"),
            "segment-lambda-destination-k3x9qa-starter"
        );
        let long = "s".repeat(128);
        let name = Starter::name_for(&long);
        assert_eq!(name.len(), 64);
        assert!(name.ends_with("-starter"));
        assert!(crate::model::validate::lambda_arn(&starter(&name).arn()).is_ok());
    }

    #[test]
    fn its_execution_role_writes_its_own_log_group_only() {
        let policy = starter("f").execution_policy();
        let text = policy.to_string();
        assert!(text.contains("arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/f:*"));
        assert!(!text.contains("\"*\""), "no wildcard resource: {text}");
        assert!(!text.contains("personalize"), "{text}");
    }

    #[test]
    fn a_template_gains_the_function_its_role_and_an_output() {
        let mut template = json!({"Resources": {}, "Outputs": {}});
        starter("f").add_to(&mut template);
        assert_eq!(
            template["Resources"][FUNCTION_ID]["Properties"]["Role"],
            json!({"Fn::GetAtt": [EXECUTION_ROLE_ID, "Arn"]})
        );
        assert_eq!(
            template["Resources"][FUNCTION_ID]["Properties"]["Handler"],
            HANDLER
        );
        assert!(
            template["Resources"][FUNCTION_ID]["Properties"]["Code"]["ZipFile"]
                .as_str()
                .is_some_and(|code| code.contains("def handler"))
        );
        assert_eq!(
            template["Outputs"][FUNCTION_OUTPUT]["Value"],
            json!({"Fn::GetAtt": [FUNCTION_ID, "Arn"]})
        );
    }
}
