#!/usr/bin/env bash
# Regenerates ../*.json from the configurations in this folder with a real
# Terraform CLI and the real hashicorp/aws provider; nothing is sent to AWS.
#
#   TF_PLUGIN_MIRROR=/opt/tf-plugins bash regen.sh [FIXTURE...]
#
# Needs: terraform (the fixtures were made with 1.11.4), the hashicorp/aws
# provider (5.100.0) in a filesystem mirror, python3.
# mock_aws.py answers the only AWS calls planning makes (STS
# GetCallerIdentity, Route 53 zone look-ups) on 127.0.0.1. Fixtures with
# existing resources are planned with -refresh=false against the
# hand-written terraform.tfstate beside their main.tf.
# Outputs differ from the committed files only in "timestamp" and in the
# order of "relevant_attributes" (Terraform does not sort it stably).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/.." && pwd)
mirror=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}
port=${MOCK_AWS_PORT:-4599}
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

[peer-account]
aws_access_key_id = AKIAIOSFODNN7PEERACC
aws_secret_access_key = fake-secret-for-the-loopback-mock
CR
: > "$work/config"

export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_CONFIG_FILE="$work/config"
export AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_CA_BUNDLE

python3 "$here/mock_aws.py" "$port" 2> "$work/mock.log" &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$work"' EXIT
sleep 1

pretty() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); f=open(sys.argv[2],"w"); json.dump(d,f,indent=2,ensure_ascii=False); f.write("\n")' "$1" "$2"
}

plan() { # name, extra plan args...
  local name=$1; shift
  rm -rf "${work:?}/$name"; cp -r "$here/$name" "$work/$name"
  (
    cd "$work/$name"
    terraform init -input=false -no-color > init.log 2>&1 || { cat init.log; exit 1; }
    terraform plan -input=false -no-color -out=plan.tfplan "$@" > plan.log 2>&1 || true
    terraform show -json plan.tfplan > plan.json
  )
  pretty "$work/$name/plan.json" "$out/$name.json"
  echo "$name.json: $(tail -1 "$work/$name/plan.log" 2>/dev/null)"
}

# Every folder with a main.tf is a fixture. Its plan arguments are in `plan.args` (one per
# line; default `-var environment=test`); a folder with a `show-state` file is shown as a
# state instead of planned.
all=()
for d in "$here"/*/; do [ -f "$d/main.tf" ] && all+=("$(basename "$d")"); done
for name in "${@:-${all[@]}}"; do
  if [ -f "$here/$name/show-state" ]; then
    rm -rf "${work:?}/$name"; cp -r "$here/$name" "$work/$name"
    (cd "$work/$name" && terraform init -input=false -no-color > init.log 2>&1 && terraform show -json terraform.tfstate > state.json)
    pretty "$work/$name/state.json" "$out/$name.json"; echo "$name.json"
    continue
  fi
  args=(-var environment=test)
  [ -f "$here/$name/plan.args" ] && mapfile -t args < "$here/$name/plan.args"
  plan "$name" "${args[@]}"
done
