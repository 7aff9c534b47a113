// Assumes your role with the function's settings, keeps the credentials
// for 30 minutes (they last an hour), and invokes your Lambda function
// with each event. Segment Functions provide AWS (the aws-sdk).
async function lambdaClient(settings) {
  const key = settings.iamRoleArn + settings.iamRoleExternalId;
  return cache.load(key, 30 * 60 * 1000, async () => {
    const { Credentials } = await new AWS.STS()
      .assumeRole({
        RoleArn: settings.iamRoleArn,
        ExternalId: settings.iamRoleExternalId,
        RoleSessionName: 'segment-function',
        DurationSeconds: 3600
      })
      .promise();
    // The assumed credentials go to the client: without them it would
    // run as Segment.
    return new AWS.Lambda({
      region: '{{lambdaRegion}}',
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken
    });
  });
}

async function onTrack(event, settings) {
  const lambda = await lambdaClient(settings);
  await lambda
    .invoke({
      FunctionName: '{{lambdaFunction}}',
      InvocationType: 'Event',
      Payload: JSON.stringify(event)
    })
    .promise();
}
