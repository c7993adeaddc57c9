#!/usr/bin/env python3
"""Puts the built frontend (frontend/dist) in the stack's bucket and clears the distribution's cache of what
changed, after `sam deploy` and `npm run build` in frontend/.

    python deploy/upload_frontend.py --stack analytics                 # the stack's outputs name both
    python deploy/upload_frontend.py --bucket BUCKET --distribution ID [--dist frontend/dist]

Needs boto3 and AWS credentials allowed cloudformation:DescribeStacks (with --stack), s3:ListBucket,
s3:PutObject and s3:DeleteObject on the bucket, and cloudfront:CreateInvalidation.

What browsers and CloudFront may keep: index.html nothing without asking again (no-cache), so a deployment
shows at the next load; files under assets/, whose names carry a hash of their content, a year (immutable);
anything else (t.js, favicon.svg) an hour, as they keep their names. Files under assets/ are uploaded first and
index.html last, so that no index.html is served before what it loads. Objects no longer in dist/ are
deleted, except hashed assets younger than --asset-grace-days: a page loaded before the deployment still
fetches its lazily loaded chunks by their old names.

The invalidation lists the paths put or deleted outside assets/ (index.html, which also answers every
client-side route, among them): a hashed asset never changes under its name, so /* would only empty the edge
caches of them for nothing. Past 30 such paths it asks for /* instead (a wildcard counts as one path).
"""
from __future__ import annotations

import argparse
import mimetypes
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3

REPO_DIR = Path(__file__).resolve().parents[1]
ASSETS = "assets/"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
AN_HOUR = "public, max-age=3600"
MAX_PATHS = 30

# Types mimetypes does not know on every system, or knows under an older name.
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".json": "application/json", ".map": "application/json", ".svg": "image/svg+xml",
         ".webmanifest": "application/manifest+json", ".woff2": "font/woff2", ".woff": "font/woff",
         ".txt": "text/plain", ".ico": "image/x-icon", ".png": "image/png", ".webp": "image/webp"}
TEXT = ("text/", "application/json", "application/manifest+json", "image/svg+xml")


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    ctype = TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{ctype}; charset=utf-8" if ctype.startswith(TEXT) else ctype


def cache_control(key: str) -> str:
    if key == "index.html":
        return NO_CACHE
    if key.startswith(ASSETS):
        return IMMUTABLE
    return AN_HOUR


def upload_order(key: str) -> tuple:
    # Hashed assets first, index.html last: a new index.html never points at what is not there yet.
    return (0 if key.startswith(ASSETS) else 2 if key == "index.html" else 1, key)


def stack_outputs(cloudformation, stack: str) -> tuple[str, str]:
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])}
    missing = [k for k in ("FrontendBucketName", "DistributionId") if k not in outputs]
    if missing:
        raise SystemExit(f"upload_frontend: stack {stack} has no output {', '.join(missing)} "
                         "(deploy the template first)")
    return outputs["FrontendBucketName"], outputs["DistributionId"]


def upload(s3, bucket: str, dist: Path) -> list[str]:
    files = sorted((p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()), key=upload_order)
    for key in files:
        data = (dist / key).read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type(key),
                      CacheControl=cache_control(key))
        print(f"  put    {key}  ({len(data):,} B, {content_type(key)}, {cache_control(key)})", flush=True)
    return files


def delete_stale(s3, bucket: str, keep: set[str], asset_grace: timedelta) -> list[str]:
    cutoff = datetime.now(timezone.utc) - asset_grace
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key in keep:
                continue
            if key.startswith(ASSETS) and obj["LastModified"] > cutoff:
                print(f"  keep   {key}  (an old page may still load it)", flush=True)
                continue
            stale.append(key)
    for i in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[i:i + 1000]], "Quiet": True})
    for key in stale:
        print(f"  delete {key}", flush=True)
    return stale


def invalidate(cloudfront, distribution: str, changed: list[str]) -> str:
    paths = sorted({"/" + k for k in changed if not k.startswith(ASSETS)})
    if len(paths) > MAX_PATHS:
        paths = ["/*"]
    if not paths:
        return ""
    answer = cloudfront.create_invalidation(DistributionId=distribution, InvalidationBatch={
        "Paths": {"Quantity": len(paths), "Items": paths},
        "CallerReference": f"upload-frontend-{int(time.time())}-{uuid.uuid4().hex[:8]}"})
    invalidation = answer["Invalidation"]["Id"]
    print(f"  invalidation {invalidation}: {' '.join(paths)}", flush=True)
    return invalidation


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="upload_frontend.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", help="CloudFormation stack whose outputs name the bucket and the distribution")
    ap.add_argument("--bucket")
    ap.add_argument("--distribution", help="CloudFront distribution id")
    ap.add_argument("--dist", type=Path, default=REPO_DIR / "frontend" / "dist", help="default: frontend/dist")
    ap.add_argument("--region", help="the stack's and the bucket's region (default: the AWS configuration's)")
    ap.add_argument("--asset-grace-days", type=float, default=7.0,
                    help="keep hashed assets no longer built for this long (default 7)")
    args = ap.parse_args(argv)
    if not args.stack and not (args.bucket and args.distribution):
        ap.error("give --stack, or --bucket and --distribution")
    if not (args.dist / "index.html").is_file():
        print(f"upload_frontend: {args.dist}/index.html not found: run `npm run build` in frontend/", file=sys.stderr)
        return 1

    session = boto3.session.Session(region_name=args.region)
    bucket, distribution = args.bucket, args.distribution
    if args.stack:
        bucket, distribution = stack_outputs(session.client("cloudformation"), args.stack)
    s3 = session.client("s3")
    print(f"upload_frontend: {args.dist} -> s3://{bucket} (distribution {distribution})", flush=True)
    files = upload(s3, bucket, args.dist)
    stale = delete_stale(s3, bucket, set(files), timedelta(days=args.asset_grace_days))
    invalidate(session.client("cloudfront"), distribution, files + stale)
    print(f"upload_frontend: {len(files)} uploaded, {len(stale)} deleted", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
