// Assumes your role with the function's settings and keeps the
// credentials for 30 minutes (they last an hour). Build the client of the
// service your policy allows with them, in its region.
async function awsCredentials(settings) {
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
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken
    };
  });
}

async function onTrack(event, settings) {
  // For example DynamoDB; the assumed credentials must go to the client.
  const client = new AWS.DynamoDB.DocumentClient({
    region: 'us-east-1',
    ...(await awsCredentials(settings))
  });
  // await client.put({ TableName: 'events', Item: event }).promise();
}
