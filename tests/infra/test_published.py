"""Versions, aliases and SnapStart on the SAM template (infra/published.py), without a synth."""

from __future__ import annotations

import pytest

from infra.published import api_on_aliases, publish_versions, snapstart_applies


@pytest.mark.parametrize(
    ("runtime", "applies"),
    [("python3.11", False), ("python3.12", True), ("python3.13", True), ("python3.9", False), ("nodejs20.x", False)],
)
def test_snapstart_applies_to_python_from_3_12(runtime, applies):
    assert snapstart_applies(runtime) is applies


def test_functions_are_published_with_snapstart_where_a_person_waits_and_the_runtime_has_it_and_the_api_calls_the_alias():
    uri = (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${APIHandler.Arn}/invocations"
    )
    template = {
        "Resources": {
            "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.12"}},
            "SendDue": {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.12"}},
            "OwnerAuth": {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.11"}},
            "RestAPI": {
                "Type": "AWS::Serverless::Api",
                "Properties": {"DefinitionBody": {"paths": {"/": {"uri": {"Fn::Sub": uri}}}}},
            },
            "APIHandlerInvokePermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Ref": "APIHandler"}},
            },
        }
    }
    published = publish_versions(template)["Resources"]
    assert published["APIHandler"]["Properties"]["AutoPublishAlias"] == "live"
    assert published["APIHandler"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert published["SendDue"]["Properties"]["AutoPublishAlias"] == "live"
    # A scheduled job's cold start keeps nobody waiting: no snapshot cache billed for it.
    assert "SnapStart" not in published["SendDue"]["Properties"]
    assert "SnapStart" not in published["OwnerAuth"]["Properties"]  # python3.11: no SnapStart
    overrides = {(r, p): v for r, p, v in api_on_aliases(template)}
    assert overrides[("RestAPI", "DefinitionBody")]["paths"]["/"]["uri"]["Fn::Sub"].endswith(
        "/functions/${APIHandlerAliaslive}/invocations"
    )
    assert overrides[("APIHandlerInvokePermission", "FunctionName")] == {"Ref": "APIHandlerAliaslive"}


def test_chalice_packages_for_python_3_12_with_the_cross_builder_while_the_cdk_app_packages():
    """infra/lambda_python.py's two seams in Chalice (a Chalice upgrade that moves them
    fails here, not only in the synth)."""
    from chalice.config import Config
    from chalice.deploy import deployer

    from infra.lambda_python import CrossBuilder, targeting

    config = Config.create(chalice_stage="dev")
    here = config.lambda_python_version
    with targeting("python3.12"):
        assert config.lambda_python_version == "python3.12"
        assert deployer.PipDependencyBuilder is CrossBuilder
    assert config.lambda_python_version == here
    assert deployer.PipDependencyBuilder is not CrossBuilder
