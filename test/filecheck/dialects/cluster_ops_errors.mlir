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
