// Malformed grad ops are rejected with a located message.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @f(%x: tensor<2x3xf32>, %dy: tensor<3x2xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.relu': grad_output must have shape 2x3, got tensor<3x2xf32>
  %0 = grad.relu %x, %dy : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>
  func.return
}
// -----
func.func @f(%dy: tensor<1x4x2x2xf32>, %w: tensor<4x2x3x3xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.conv2d_input': grad_output must have shape 1x4x3x3, got tensor<1x4x2x2xf32>
  %0 = grad.conv2d_input %dy, %w {input_shape = array<i64: 1, 2, 5, 5>} : (tensor<1x4x2x2xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  func.return
}
// -----
func.func @f(%x: tensor<2x3xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.slice': slice [2, 4) is out of range for dimension 1 of tensor<2x3xf32>
  %0 = grad.slice %x {axis = 1 : i64, start = 2 : i64, size = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  func.return
}
// -----
func.func @f(%x: tensor<2x3xf32>, %l: tensor<2xi64>, %dy: tensor<2xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.cross_entropy': grad_output must be a scalar, got tensor<2xf32>
  %0 = grad.cross_entropy %x, %l, %dy : (tensor<2x3xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<2x3xf32>
  func.return
}
// -----
func.func @f(%s: tensor<3xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.broadcast': cannot broadcast tensor<3xf32> to shape 2x4
  %0 = grad.broadcast %s {shape = array<i64: 2, 4>} : (tensor<3xf32>) -> tensor<2x4xf32>
  func.return
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %dy: tensor<3xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.max_lhs': grad_output must have shape 2x3, got tensor<3xf32>
  %0 = grad.max_lhs %a, %b, %dy : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  func.return
}
// -----
func.func @f(%x: tensor<2x3xf32>, %y: tensor<3xf32>, %dy: tensor<2xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.reduce_max': output must have shape 2, got tensor<3xf32>
  %0 = grad.reduce_max %x, %y, %dy {axes = array<i64: 1>} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  func.return
}
// -----
func.func @f(%y: tensor<2x3xf32>, %dy: tensor<2x3xf64>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.sigmoid': operands must share one element type, got f32, f64
  %0 = grad.sigmoid %y, %dy : (tensor<2x3xf32>, tensor<2x3xf64>) -> tensor<2x3xf32>
  func.return
}
// -----
func.func @f(%x: tensor<2x3xf32>, %dy: tensor<2x3xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.clip': max must be a finite number, got -inf
  %0 = grad.clip %x, %dy {max = 0xFF800000 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return
}
// -----
func.func @f(%dy: tensor<2x2xf32>) {
  // CHECK: grad_errors.mlir:[[# @LINE + 1]]:3: error: 'grad.slice_scatter': grad_output must have the slice's shape 2x3, got tensor<2x2xf32>
  %0 = grad.slice_scatter %dy {input_shape = array<i64: 3, 5>, starts = array<i64: 1, 0>, sizes = array<i64: 2, 3>, steps = array<i64: 1, 2>} : (tensor<2x2xf32>) -> tensor<3x5xf32>
  func.return
}
