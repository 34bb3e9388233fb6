# Runs once for every object uploaded under in/ in the fake S3 bucket "uploads" (thumbnails.json):
#   fnemu s3 put uploads in/cat.txt README.md
from urllib.parse import unquote_plus

import boto3


def handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])
    s3 = boto3.client("s3")  # reaches the fake S3: fnemu sets AWS_ENDPOINT_URL and the keys
    head = s3.head_object(Bucket=bucket, Key=key)
    print(f"{record['eventName']} s3://{bucket}/{key}: {head['ContentLength']} bytes, {head['ContentType']}")
    return {"bucket": bucket, "key": key, "size": head["ContentLength"]}
