#!/usr/bin/env bash
# `make synth`: synthesize the CDK app for every stage with the pinned aws-cdk CLI v2
# (node_modules) and no AWS credentials, then cfn-lint the templates (errors fail;
# warnings are printed) and, when CHECKOV names its binary (`make synth` installs it into
# .venv/checkov from requirements-checkov.txt), checkov with the accepted findings of
# .checkov.yaml (any other failed check fails). Templates land in
# infra/cdk.out/<stage>/rebook-<stage>.template.json.
set -euo pipefail
cd "$(dirname "$0")/../infra"
export CDK_DISABLE_VERSION_CHECK=1 JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
# Never reach for an account: synth needs none, and a stray profile must not leak in.
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
stages=${STAGES:-dev prod}
# jsii's Python runtime prints each line its Node process writes to stderr outside its
# protocol as bytes (`b'!!  Node 20 is end-of-life ...\n'`): the sed turns those back into
# text (an end-of-life Node's banner; docs/deploy.md §0).
for stage in $stages; do
  ../node_modules/.bin/cdk synth -c stage="$stage" -o "cdk.out/$stage" --no-notices -q >/dev/null \
    2> >(sed -E "s/^b'(.*)\\\\n'\$/\\1/" >&2)
  echo "synthesized infra/cdk.out/$stage/rebook-$stage.template.json"
done
rc=0
for stage in $stages; do
  ../.venv/bin/cfn-lint "cdk.out/$stage/rebook-$stage.template.json" || rc=$?
done
if (( rc & 2 )); then echo "cfn-lint found errors" >&2; exit 1; fi
echo "cfn-lint: no errors"
if [[ -n ${CHECKOV:-} ]]; then
  files=()
  for stage in $stages; do files+=(-f "cdk.out/$stage/rebook-$stage.template.json"); done
  # Offline: no platform, no guideline download.
  BC_SKIP_MAPPING=TRUE "$CHECKOV" --config-file ../.checkov.yaml "${files[@]}"
  echo "checkov: no findings but the accepted ones (.checkov.yaml)"
fi
