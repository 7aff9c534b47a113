//! Lambda functions on the SDK: the starter function made on the IAM path.
use super::Sdk;
use super::errors::classify;
use crate::aws::{AwsError, FunctionCreate, Functions};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};

#[async_trait::async_trait]
impl Functions for Sdk {
    async fn create_function(&self, request: &FunctionCreate) -> Result<String, AwsError> {
        let mut call = self
            .lambda
            .create_function()
            .function_name(&request.name)
            .description(&request.description)
            .runtime(Runtime::from(request.runtime.as_str()))
            .handler(&request.handler)
            .role(&request.role_arn)
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(request.code_zip.clone()))
                    .build(),
            )
            .timeout(request.timeout_seconds)
            .memory_size(request.memory_mb);
        if !request.environment.is_empty() {
            let mut environment = Environment::builder();
            for (key, value) in &request.environment {
                environment = environment.variables(key, value);
            }
            call = call.environment(environment.build());
        }
        for (key, value) in &request.tags {
            call = call.tags(key, value);
        }
        let output = call
            .send()
            .await
            .map_err(|e| classify("lambda:CreateFunction", e))?;
        Ok(output.function_arn().unwrap_or_default().to_string())
    }

    async fn function_tags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, AwsError> {
        match self.lambda.get_function().function_name(name).send().await {
            Ok(output) => {
                let mut tags: Vec<(String, String)> = output
                    .tags()
                    .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                tags.sort();
                Ok(Some(tags))
            }
            Err(error) => match classify("lambda:GetFunction", error) {
                error if error.is_not_found() => Ok(None),
                error => Err(error),
            },
        }
    }

    async fn delete_function(&self, name: &str) -> Result<(), AwsError> {
        self.lambda
            .delete_function()
            .function_name(name)
            .send()
            .await
            .map_err(|e| classify("lambda:DeleteFunction", e))?;
        Ok(())
    }
}
