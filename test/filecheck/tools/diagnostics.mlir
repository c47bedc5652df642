// Bad input of each kind gives one located diagnostic and a non-zero exit,
// never a Python traceback.
// RUN: not tdopt %s -p 'no-such-pass' 2>&1 | filecheck %s --check-prefix=PASS
// PASS: error: bad pass pipeline: Unrecognized passes: ['no-such-pass']
// PASS-NOT: Traceback

// RUN: not tdopt %s -p 'canonicalize{bogus=1}' 2>&1 | filecheck %s --check-prefix=OPT
// OPT: error: bad pass pipeline: Provided arguments ["bogus"] not found in expected arguments []
// OPT-NOT: Traceback

// RUN: not tdopt %S/../inputs/missing_weights.mlir 2>&1 | filecheck %s --check-prefix=MISSING
// MISSING: missing_weights.mlir:1:1: error: weights file not found: {{.*}}inputs/does_not_exist.npz (named by train.weights = "{{.*}}does_not_exist.npz"
// MISSING-NOT: Traceback

// RUN: not tdopt %S/../inputs/parse_error.mlir 2>&1 | filecheck %s --check-prefix=PARSE
// PARSE: parse_error.mlir:3:45: error: type expected
// PARSE-NEXT: %0 = train.relu %a : (tensor<2x3xf32>) -> }
// PARSE-NEXT: {{^ +}}^
// PARSE-NOT: Traceback

// RUN: not tdopt %S/../inputs/does_not_exist.mlir 2>&1 | filecheck %s --check-prefix=NOFILE
// NOFILE: error: no such file: {{.*}}does_not_exist.mlir

// RUN: not tdrun %S/../inputs/missing_weights.mlir --reference 2>&1 | filecheck %s --check-prefix=EXEC
// EXEC: weights file not found

// This file itself is valid:
// RUN: tdopt %s | filecheck %s --check-prefix=OK
// OK: func.func @ok
func.func @ok(%a: tensor<2xf32>) -> tensor<2xf32> {
  func.return %a : tensor<2xf32>
}
