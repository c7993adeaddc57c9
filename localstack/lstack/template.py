"""Reads template.yaml so the local stack runs the same shape as AWS: the HttpApi routes, the resource
names, each function's environment, and the writer's Kinesis event source settings. Nothing here is
repeated by hand from the template.

Intrinsic functions are resolved the local way: `!Ref` to a parameter gives its local value, to a resource
its physical name; `!Sub` substitutes both; `!GetAtt X.Arn` gives a local ARN. A dynamic reference
`{{resolve:secretsmanager:ID:SecretString}}` gives the secret's local value: its SecretString, else one
generated once per Template (per stack run) the way GenerateSecretString would, the same wherever it is used.
"""
from __future__ import annotations

import fnmatch
import functools
import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT = "000000000000"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt, ...) read into their long form."""


def _construct(tag: str):
    # `!Ref X` and `!Condition X` (a condition inside !And/!Or/!Not) have no `Fn::` in their long form.
    name = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def build(loader: yaml.Loader, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return build


for _tag in ["Ref", "Sub", "GetAtt", "Join", "If", "Equals", "Not", "And", "Or", "Select", "Split",
             "FindInMap", "ImportValue", "Base64", "Cidr", "GetAZs", "Condition"]:
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


@dataclass
class Route:
    method: str  # ANY or an HTTP method
    path: str  # e.g. /api/auth/{proxy+}
    function: str  # the function's binary
    regex: re.Pattern = field(repr=False, default=None)  # type: ignore[assignment]
    greedy: bool = False

    def __post_init__(self) -> None:
        pattern = ""
        for part in self.path.strip("/").split("/"):
            if part.endswith("+}"):
                pattern += "/.+"
                self.greedy = True
            elif part.startswith("{"):
                pattern += "/[^/]+"
            else:
                pattern += "/" + re.escape(part)
        self.regex = re.compile(f"^{pattern}$")

    def specificity(self) -> tuple:
        # API Gateway prefers exact paths over {param}, and {param} over {proxy+}, longer over shorter.
        return (not self.greedy, self.path.count("/"), "{" not in self.path, self.method != "ANY")


@dataclass
class StreamSource:
    function: str
    stream: str
    batch_size: int
    window_seconds: float
    starting_position: str
    max_retries: int
    bisect: bool
    report_item_failures: bool
    dead_letter_queue: str | None


class Template:
    def __init__(self, path: Path, parameters: dict[str, str] | None = None) -> None:
        self.path = path
        self.doc = yaml.load(path.read_text(), Loader=_CfnLoader)
        self.resources: dict[str, dict] = self.doc["Resources"]
        self.parameters = {k: str(v["Default"]) for k, v in self.doc.get("Parameters", {}).items()
                           if "Default" in v}
        self.parameters.update(parameters or {})
        # Secret values by name: given (a restart keeps them), or made on first use.
        self.secret_values: dict[str, str] = {}

    # --- intrinsic functions, resolved locally ---------------------------------------------------
    def name_of(self, logical_id: str) -> str:
        """The physical name of a resource: what `!Ref` gives for streams, tables and functions."""
        res = self.resources[logical_id]
        props = res.get("Properties", {})
        typ = res["Type"]
        if typ == "AWS::Serverless::Function":
            return res.get("Metadata", {}).get("BuildProperties", {}).get("Binary", logical_id)
        key = {"AWS::Kinesis::Stream": "Name", "AWS::DynamoDB::Table": "TableName",
               "AWS::SQS::Queue": "QueueName", "AWS::SecretsManager::Secret": "Name",
               "AWS::S3::Bucket": "BucketName"}.get(typ)
        if key and key in props:
            return self.resolve(props[key])
        return logical_id

    def arn_of(self, logical_id: str) -> str:
        typ = self.resources[logical_id]["Type"]
        name = self.name_of(logical_id)
        return {
            "AWS::Kinesis::Stream": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
        }.get(typ, f"arn:aws:local:{REGION}:{ACCOUNT}:{name}")

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com",
                  "AWS::StackName": "local", "AWS::Partition": "aws"}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.name_of(name)
        raise KeyError(f"template.yaml: no value for !Ref {name} (give the parameter a local value)")

    def _getatt(self, logical_id: str, attr: str) -> str:
        if attr == "Arn":
            return self.arn_of(logical_id)
        if attr in ("QueueName", "Name"):
            return self.name_of(logical_id)
        raise KeyError(f"template.yaml: !GetAtt {logical_id}.{attr} has no local value")

    def _sub(self, text: str) -> str:
        def one(m: re.Match) -> str:
            ref = m.group(1)
            if "." in ref:
                return self._getatt(*ref.split(".", 1))
            return self._ref(ref)

        return re.sub(r"\$\{([A-Za-z0-9:.]+)\}", one, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return self._dynamic(self._ref(arg))
            if fn == "Fn::Sub":
                return self._dynamic(self._sub(arg))
            if fn == "Fn::GetAtt":
                return self._getatt(*arg)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, str):
            return self._dynamic(value)
        return value

    # --- secrets -----------------------------------------------------------------------------------
    _DYNAMIC = re.compile(r"\{\{resolve:([a-z-]+):(.*?)\}\}")

    def _dynamic(self, text: str) -> str:
        """CloudFormation's dynamic references in a string, resolved locally (Secrets Manager only)."""
        def one(m: re.Match) -> str:
            service, ref = m.groups()
            if service != "secretsmanager":
                raise KeyError(f"template.yaml: {{{{resolve:{service}:...}}}} has no local value")
            # secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]; the id (an ARN in AWS)
            # may hold colons itself.
            secret_id, _, rest = ref.partition(":SecretString")
            if rest.strip(":"):
                raise KeyError(f"template.yaml: {m.group(0)}: only a whole SecretString has a local value")
            return self.secret_value(secret_id)

        return self._DYNAMIC.sub(one, text)

    def secret_value(self, secret_id: str) -> str:
        """The local value of a template secret, by name or local ARN: the one given in secret_values, else
        its SecretString, else one generated (once) as its GenerateSecretString says."""
        for logical_id, res in self.of_type("AWS::SecretsManager::Secret").items():
            name = self.name_of(logical_id)
            if secret_id not in (name, self.arn_of(logical_id), logical_id):
                continue
            if name not in self.secret_values:
                props = res.get("Properties", {})
                if "SecretString" in props:
                    self.secret_values[name] = str(self.resolve(props["SecretString"]))
                else:
                    self.secret_values[name] = _generate(props.get("GenerateSecretString", {}))
            return self.secret_values[name]
        raise KeyError(f"template.yaml: no secret {secret_id!r}")

    # --- what the local stack needs --------------------------------------------------------------
    def of_type(self, typ: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == typ}

    def functions(self) -> dict[str, dict]:
        return self.of_type("AWS::Serverless::Function")

    def routes(self) -> list[Route]:
        routes = []
        for logical_id, fn in self.functions().items():
            for event in fn.get("Properties", {}).get("Events", {}).values():
                if event["Type"] == "HttpApi":
                    props = event["Properties"]
                    routes.append(Route(props.get("Method", "ANY").upper(), props["Path"],
                                        self.name_of(logical_id)))
        return sorted(routes, key=Route.specificity, reverse=True)

    def match(self, method: str, path: str) -> Route | None:
        """The route API Gateway would pick: the most specific one matching the path and method."""
        for route in self._routes:
            if route.regex.match(path) and route.method in ("ANY", method.upper()):
                return route
        return None

    @functools.cached_property
    def _routes(self) -> list[Route]:
        return self.routes()

    def environment(self) -> dict[str, str]:
        """Every function's environment, merged (the local Lambda emulator runs them in one env)."""
        merged: dict[str, str] = {}
        globals_env = self.doc.get("Globals", {}).get("Function", {}).get("Environment", {})
        sources = [globals_env] + [f.get("Properties", {}).get("Environment", {})
                                   for f in self.functions().values()]
        for env in sources:
            for key, value in env.get("Variables", {}).items():
                value = str(self.resolve(value))
                if merged.get(key, value) != value:
                    raise ValueError(f"template.yaml: functions disagree on {key}; the local stack "
                                     "runs them in one environment")
                merged[key] = value
        return merged

    def origin_headers(self, path: str) -> dict[str, str]:
        """The custom headers the CloudFront distribution adds to a request for `path` on its way to the
        origin (the cache behaviour whose PathPattern matches first, else the default), lower-case names;
        empty without a distribution."""
        for res in self.of_type("AWS::CloudFront::Distribution").values():
            config = res["Properties"]["DistributionConfig"]
            behaviour = next((b for b in config.get("CacheBehaviors", [])
                              if fnmatch.fnmatchcase(path, b["PathPattern"])), config["DefaultCacheBehavior"])
            origin = next(o for o in config["Origins"] if o["Id"] == behaviour["TargetOriginId"])
            return {h["HeaderName"].lower(): str(self.resolve(h["HeaderValue"]))
                    for h in origin.get("OriginCustomHeaders", [])}
        return {}

    def stream_source(self) -> StreamSource:
        for logical_id, fn in self.functions().items():
            for event in fn.get("Properties", {}).get("Events", {}).values():
                if event["Type"] != "Kinesis":
                    continue
                p = event["Properties"]
                stream_id = p["Stream"]["Fn::GetAtt"][0]
                dlq = p.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                return StreamSource(
                    function=self.name_of(logical_id),
                    stream=self.name_of(stream_id),
                    batch_size=int(p.get("BatchSize", 100)),
                    window_seconds=float(p.get("MaximumBatchingWindowInSeconds", 0)),
                    starting_position=p.get("StartingPosition", "LATEST"),
                    max_retries=int(p.get("MaximumRetryAttempts", -1)),
                    bisect=bool(p.get("BisectBatchOnFunctionError", False)),
                    report_item_failures="ReportBatchItemFailures" in p.get("FunctionResponseTypes", []),
                    dead_letter_queue=self.name_of(dlq["Fn::GetAtt"][0]) if dlq else None,
                )
        raise ValueError("template.yaml declares no Kinesis event source")


def _generate(spec: dict) -> str:
    """A value as Secrets Manager's GenerateSecretString makes one (the options the template uses)."""
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += string.punctuation
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    return "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
