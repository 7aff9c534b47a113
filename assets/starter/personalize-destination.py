# Starter function for Segment's Amazon Personalize destination
# (made by segment-aws-setup). Segment invokes it once per event
# and waits at most 5 seconds. It logs the event and, once you set
# personalize_tracking_id (your Event Tracker's tracking ID),
# sends track events to Personalize with PutEvents. The page's
# recommendations step reads personalize_campaign_arn and
# connections_source_api_key: add it where the comment says.
import json
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    if not isinstance(event, dict):
        event = {}
    kind = event.get("type", "unknown")
    text = json.dumps(event, sort_keys=True)
    logger.info("segment %s event: %s", kind, text)
    tracking_id = os.environ.get("personalize_tracking_id", "")
    if kind != "track" or not tracking_id:
        # Recommendations (GetRecommendations) go here.
        return {"received": kind, "sentToPersonalize": False}
    import boto3  # in Lambda's runtime; a local run needs none

    user = str(event.get("userId") or event.get("anonymousId") or "")
    boto3.client("personalize-events").put_events(
        trackingId=tracking_id,
        userId=user,
        sessionId=str(event.get("anonymousId") or user),
        eventList=[
            {
                "eventType": str(event.get("event", "track")),
                "sentAt": event.get("timestamp"),
                "properties": json.dumps(event.get("properties") or {}),
            }
        ],
    )
    return {"received": kind, "sentToPersonalize": True}
