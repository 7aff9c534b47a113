// Assumes your role with the function's settings, keeps the credentials
// for 30 minutes (they last an hour), and writes each event to the
// bucket. Segment Functions provide AWS (the aws-sdk).
async function s3Client(settings) {
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
    return new AWS.S3({
      region: settings.s3BucketRegion,
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken
    });
  });
}

async function onTrack(event, settings) {
  const s3 = await s3Client(settings);
  await s3
    .putObject({
      Bucket: settings.s3Bucket,
      Key: `${event.type}/${Date.now()}-${event.messageId}.json`,
      Body: JSON.stringify(event)
    })
    .promise();
}
