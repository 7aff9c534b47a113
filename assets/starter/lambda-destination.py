# Starter function for Segment's Amazon Lambda destination
# (made by segment-aws-setup). Segment invokes it once per event
# (track, identify, page, screen, group, alias) and waits at most
# 5 seconds: it logs the event and returns at once. Put your own
# processing where the comment says.
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    if not isinstance(event, dict):
        event = {}
    kind = event.get("type", "unknown")
    text = json.dumps(event, sort_keys=True)
    logger.info("segment %s event: %s", kind, text)
    # Your processing goes here, within Segment's 5 seconds.
    return {"received": kind}
