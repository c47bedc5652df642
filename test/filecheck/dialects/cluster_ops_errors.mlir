// A runtime hook of the cluster dialect takes no operands and gives one
// index; anything else is rejected with a located message.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: result 'result' at position 0 does not verify:
  %id = "cluster.core_id"() : () -> i32
  func.return
}
// -----
func.func @f(%x: index) {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: Expected 0 operands, but got 1
  %n = "cluster.num_cores"(%x) : (index) -> index
  func.return
}
// -----
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: Expected 1 result, but got 2
  %n:2 = "cluster.num_cores"() : () -> (index, index)
  func.return
}
// -----
// cluster.unroll: a power-of-two factor, first in a loop's body.
func.func @f(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:5: error: 'cluster.unroll': the factor must be a power of two >= 2, got 3
    cluster.unroll 3
  }
  func.return
}
// -----
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.unroll': must be in the body of an scf.for or riscv_scf.for
  cluster.unroll 2
  func.return
}
