// How often tdopt verifies the IR (--time-passes counts it): at the end of
// each level of the pipeline (train, linalg, loops, riscv) and of the
// pipeline by default, after every pass with --verify-each, never with
// --disable-verify. (The input is always verified when it is parsed.) With
// -j 2 the kernels are lowered one by one, each verified at the levels it
// goes through: more verifications, of smaller modules.
// RUN: tdopt %s --emit=asm --time-passes -j 1 -o /dev/null 2>&1 | filecheck %s --check-prefix=LEVELS
// RUN: tdopt %s -p 'train-schedule-updates,convert-train-to-linalg,plan-memory,cse' --time-passes -o /dev/null 2>&1 | filecheck %s --check-prefix=LINALG
// RUN: tdopt %s -p 'train-schedule-updates,convert-train-to-linalg,plan-memory,cse' --verify-each --time-passes -o /dev/null 2>&1 | filecheck %s --check-prefix=EACH
// RUN: tdopt %s -p 'train-schedule-updates,convert-train-to-linalg,plan-memory,cse' --disable-verify --time-passes -o /dev/null 2>&1 | filecheck %s --check-prefix=NONE
// RUN: tdopt %s -p 'cse' --time-passes -o /dev/null 2>&1 | filecheck %s --check-prefix=ONE

// LEVELS: tdopt pass timing (wall seconds):
// LEVELS: convert-train-to-linalg
// LEVELS: convert-func-to-riscv-func
// LEVELS: (verification x4)
// LINALG: (verification x2)
// EACH: (verification x4)
// NONE: (verification x0)
// ONE: (verification x1)

func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %r = train.relu %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = train.matmul %r, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  func.return %m : tensor<2x4xf32>
}
