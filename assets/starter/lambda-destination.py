# A starter function for Segment's Amazon Lambda destination, made by segment-aws-setup.
# Segment invokes it once per event (track, identify, page, screen, group, alias) with the
# event as the payload, and waits at most 5 seconds: log the event, return at once, and put
# your own processing where the comment says.
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    kind = event.get("type", "unknown") if isinstance(event, dict) else "unknown"
    logger.info("segment %s event: %s", kind, json.dumps(event, sort_keys=True))
    # Your processing goes here; keep it under Segment's 5-second limit.
    return {"received": kind}
