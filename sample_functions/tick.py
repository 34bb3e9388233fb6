# Fires every minute on the emulator clock (tick.json): advance the clock to see it run,
#   fnemu clock advance 60    (or the Clock page of the UI)
def handler(event, context):
    print(f"tick at {event['time']}")
    return {"scheduled": event["time"]}
