//! Lambda in memory, for the starter function on the IAM path: it can be told to refuse
//! CreateFunction (a failure half-way), or to say the new execution role can't be assumed yet
//! for a number of calls (IAM's propagation delay, which real AWS shows for a few seconds).

use super::script::*;
use crate::aws::{AwsError, FunctionCreate, Functions};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Default, Clone)]
pub struct MemoryFunctions {
    functions: Arc<Mutex<BTreeMap<String, FunctionCreate>>>,
    refuse_create: Arc<Mutex<bool>>,
    /// CreateFunction calls left that answer "the role can't be assumed yet".
    role_not_ready: Arc<Mutex<u32>>,
    creates: Arc<Mutex<u32>>,
}

impl MemoryFunctions {
    /// Every later CreateFunction is refused with AccessDenied.
    pub fn refuse_create(&self) {
        *lock(&self.refuse_create) = true;
    }

    /// The next `calls` CreateFunction calls answer as Lambda does while a new role propagates.
    pub fn role_not_ready_for(&self, calls: u32) {
        *lock(&self.role_not_ready) = calls;
    }

    /// CreateFunction calls so far.
    pub fn create_calls(&self) -> u32 {
        *lock(&self.creates)
    }

    pub fn names(&self) -> Vec<String> {
        lock(&self.functions).keys().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<FunctionCreate> {
        lock(&self.functions).get(name).cloned()
    }
}

#[async_trait::async_trait]
impl Functions for MemoryFunctions {
    async fn create_function(&self, request: &FunctionCreate) -> Result<String, AwsError> {
        *lock(&self.creates) += 1;
        if *lock(&self.refuse_create) {
            return Err(AwsError::AccessDenied {
                action: "lambda:CreateFunction".into(),
                message: format!(
                    "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: lambda:CreateFunction"
                ),
            });
        }
        {
            let mut not_ready = lock(&self.role_not_ready);
            if *not_ready > 0 {
                *not_ready -= 1;
                return Err(AwsError::Service {
                    action: "lambda:CreateFunction".into(),
                    code: "InvalidParameterValueException".into(),
                    message: "The role defined for the function cannot be assumed by Lambda."
                        .into(),
                });
            }
        }
        let mut functions = lock(&self.functions);
        if functions.contains_key(&request.name) {
            return Err(AwsError::Service {
                action: "lambda:CreateFunction".into(),
                code: "ResourceConflictException".into(),
                message: format!("Function already exist: {}", request.name),
            });
        }
        functions.insert(request.name.clone(), request.clone());
        Ok(format!(
            "arn:aws:lambda:us-east-1:{FAKE_ACCOUNT}:function:{}",
            request.name
        ))
    }

    async fn function_tags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, AwsError> {
        Ok(lock(&self.functions).get(name).map(|f| {
            let mut tags = f.tags.clone();
            tags.sort();
            tags
        }))
    }

    async fn delete_function(&self, name: &str) -> Result<(), AwsError> {
        match lock(&self.functions).remove(name) {
            Some(_) => Ok(()),
            None => Err(AwsError::Service {
                action: "lambda:DeleteFunction".into(),
                code: "ResourceNotFoundException".into(),
                message: format!("Function not found: {name}"),
            }),
        }
    }
}
