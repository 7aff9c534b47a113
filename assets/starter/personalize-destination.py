# A starter function for Segment's Amazon Personalize destination, made by segment-aws-setup.
# Segment invokes it once per event and waits at most 5 seconds. It logs the event and, once
# you fill in personalize_tracking_id (your Event Tracker's tracking ID), sends track events
# to Personalize with PutEvents. personalize_campaign_arn and connections_source_api_key are
# read for the recommendations step of Segment's page (GetRecommendations, then identify
# calls to your Segment source), which you add where the comment says.
import json
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    kind = event.get("type", "unknown") if isinstance(event, dict) else "unknown"
    logger.info("segment %s event: %s", kind, json.dumps(event, sort_keys=True))
    tracking_id = os.environ.get("personalize_tracking_id", "")
    if kind == "track" and tracking_id:
        import boto3  # in Lambda's Python runtime; imported here so a local run needs none

        boto3.client("personalize-events").put_events(
            trackingId=tracking_id,
            userId=str(event.get("userId") or event.get("anonymousId") or ""),
            sessionId=str(event.get("anonymousId") or event.get("userId") or ""),
            eventList=[
                {
                    "eventType": str(event.get("event", "track")),
                    "sentAt": event.get("timestamp"),
                    "properties": json.dumps(event.get("properties") or {}),
                }
            ],
        )
        return {"received": kind, "sentToPersonalize": True}
    # Recommendations: personalize_campaign_arn and connections_source_api_key go here.
    return {"received": kind, "sentToPersonalize": False}
