#!/usr/bin/env bash
# Regenerates ./NAME.json from the configurations NAME/ beside this script, the same way
# testdata/plans/src/regen.sh makes the shared fixtures: a real Terraform CLI (1.11.4), the
# real hashicorp/aws provider (5.100.0) from a filesystem mirror, and the loopback mock of
# testdata/plans/src/mock_aws.py for the few calls planning makes. Nothing is sent to AWS.
#
#   TF_PLUGIN_MIRROR=/opt/tf-plugins bash regen.sh [NAME...]
#
# Plan arguments are in NAME/plan.args (one per line); a folder with a terraform.tfstate is
# planned against it (with -refresh=false in its plan.args).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mock_py=$(cd "$here/../../plans/src" && pwd)/mock_aws.py
mirror=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}
port=${MOCK_AWS_PORT:-4598}
work=$(mktemp -d)

cat > "$work/cli.tfrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
cat > "$work/credentials" <<'CR'
[default]
aws_access_key_id = AKIAIOSFODNN7REQSTER
aws_secret_access_key = fake-secret-for-the-loopback-mock
CR
: > "$work/config"

export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_CONFIG_FILE="$work/config"
export AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_CA_BUNDLE

python3 "$mock_py" "$port" 2> "$work/mock.log" &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$work"' EXIT
sleep 1

all=()
for d in "$here"/*/; do [ -f "$d/main.tf" ] && all+=("$(basename "$d")"); done
for name in "${@:-${all[@]}}"; do
  rm -rf "${work:?}/$name"; cp -r "$here/$name" "$work/$name"
  mapfile -t args < "$here/$name/plan.args"
  (
    cd "$work/$name"
    terraform init -input=false -no-color > init.log 2>&1 || { cat init.log; exit 1; }
    terraform plan -input=false -no-color -out=plan.tfplan "${args[@]}" > plan.log 2>&1 || { cat plan.log; exit 1; }
    terraform show -json plan.tfplan > plan.json
  )
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); f=open(sys.argv[2],"w"); json.dump(d,f,indent=2,ensure_ascii=False); f.write("\n")' "$work/$name/plan.json" "$here/$name.json"
  echo "$name.json: $(grep -E '^Plan:' "$work/$name/plan.log" || tail -1 "$work/$name/plan.log")"
done
