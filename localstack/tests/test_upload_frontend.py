"""deploy/upload_frontend.py against moto's S3, CloudFront and CloudFormation (a real server, over HTTP)."""
from __future__ import annotations

import json
import sys

import boto3
import pytest

from conftest import AWS, REPO

sys.path.insert(0, str(REPO / "deploy"))
import upload_frontend  # noqa: E402

DIST = {
    "index.html": b"<!doctype html><script src=/assets/index-abc123.js></script>",
    "t.js": b"(function(){})()",
    "favicon.svg": b"<svg/>",
    "assets/index-abc123.js": b"export {}",
    "assets/index-abc123.css": b"body{}",
    "assets/inter-9f8e.woff2": b"wOF2",
}


@pytest.fixture
def aws(moto_url, monkeypatch):
    """boto3 as the script makes it (from the environment), pointed at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return {name: boto3.client(name, endpoint_url=moto_url, **AWS) for name in ("s3", "cloudfront", "cloudformation")}


@pytest.fixture
def site(aws, tmp_path):
    """A bucket holding an earlier deployment, a distribution, and a freshly built dist/."""
    bucket = f"frontend-{tmp_path.name.lower().replace('_', '-')}"[:63]
    aws["s3"].create_bucket(Bucket=bucket)
    aws["s3"].put_object(Bucket=bucket, Key="old.html", Body=b"gone")
    aws["s3"].put_object(Bucket=bucket, Key="assets/index-old999.js", Body=b"old chunk")
    distribution = aws["cloudfront"].create_distribution(DistributionConfig={
        "CallerReference": tmp_path.name, "Comment": "test", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": f"{bucket}.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    })["Distribution"]["Id"]
    dist = tmp_path / "dist"
    for key, data in DIST.items():
        (dist / key).parent.mkdir(parents=True, exist_ok=True)
        (dist / key).write_bytes(data)
    return bucket, distribution, dist


def objects(s3, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def invalidated_paths(cloudfront, distribution: str) -> list[list[str]]:
    items = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [cloudfront.get_invalidation(DistributionId=distribution, Id=i["Id"])["Invalidation"]
            ["InvalidationBatch"]["Paths"]["Items"] for i in items]


def test_upload_types_caching_stale_objects_and_invalidation(aws, site, capsys):
    bucket, distribution, dist = site
    s3 = aws["s3"]
    assert upload_frontend.main(["--bucket", bucket, "--distribution", distribution, "--dist", str(dist)]) == 0

    # The stale page is gone; the stale hashed chunk stays for pages loaded before (the grace period).
    assert objects(s3, bucket) == set(DIST) | {"assets/index-old999.js"}
    for key, data in DIST.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    head = {key: s3.head_object(Bucket=bucket, Key=key) for key in DIST}
    assert head["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert head["index.html"]["CacheControl"] == "no-cache"
    assert head["assets/index-abc123.js"]["ContentType"] == "text/javascript; charset=utf-8"
    assert head["assets/index-abc123.css"]["ContentType"] == "text/css; charset=utf-8"
    assert head["assets/inter-9f8e.woff2"]["ContentType"] == "font/woff2"
    assert head["favicon.svg"]["ContentType"] == "image/svg+xml; charset=utf-8"
    for key in DIST:
        if key.startswith("assets/"):
            assert head[key]["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["t.js"]["CacheControl"] == "public, max-age=3600"

    # What changed under a kept name is invalidated; hashed assets never are.
    (paths,) = invalidated_paths(aws["cloudfront"], distribution)
    assert sorted(paths) == ["/favicon.svg", "/index.html", "/old.html", "/t.js"]
    out = capsys.readouterr().out
    assert "delete old.html" in out and "keep   assets/index-old999.js" in out
    # index.html goes up last, after what it loads.
    assert out.index("put    index.html") > out.index("put    assets/index-abc123.js")

    # Past the grace period the old chunk goes too.
    assert upload_frontend.main(["--bucket", bucket, "--distribution", distribution, "--dist", str(dist),
                                 "--asset-grace-days", "0"]) == 0
    assert objects(s3, bucket) == set(DIST)
    assert len(invalidated_paths(aws["cloudfront"], distribution)) == 2


def test_the_stack_outputs_name_bucket_and_distribution(aws, site):
    bucket, distribution, dist = site
    stack = f"s{abs(hash(bucket)) % 10**8}"
    aws["cloudformation"].create_stack(StackName=stack, TemplateBody=json.dumps({
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {"FrontendBucketName": {"Value": bucket}, "DistributionId": {"Value": distribution}},
    }))
    assert upload_frontend.main(["--stack", stack, "--dist", str(dist)]) == 0
    assert objects(aws["s3"], bucket) >= set(DIST)
    assert invalidated_paths(aws["cloudfront"], distribution)


def test_an_unbuilt_frontend_is_refused(tmp_path, capsys):
    assert upload_frontend.main(["--bucket", "b", "--distribution", "d", "--dist", str(tmp_path)]) == 1
    assert "npm run build" in capsys.readouterr().err
