// The backward ops of the grad dialect, printed back (verifier errors: grad_dialect_errors.mlir).
// RUN: tdopt %s --split-input-file | filecheck %s

// CHECK-LABEL: func.func @all
// CHECK: grad.relu %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.gelu %x, %dy {approximate = "tanh"} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.softmax %x, %dy {axis = 1 : i64}
// CHECK: grad.layernorm %x, %s, %dy {axis = 1 : i64, epsilon = 1.000000e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK: grad.conv2d_input %cdy, %w {input_shape = array<i64: 1, 2, 5, 5>, strides = array<i64: 2, 2>} : (tensor<1x4x2x2xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x5x5xf32>
// CHECK: grad.conv2d_weight %img, %cdy {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5xf32>, tensor<1x4x2x2xf32>) -> tensor<4x2x3x3xf32>
// CHECK: grad.maxpool2d %img, %pdy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
// CHECK: grad.cross_entropy %x, %labels, %one : (tensor<2x3xf32>, tensor<2xi64>, tensor<f32>) -> tensor<2x3xf32>
// CHECK: grad.slice %x {axis = 1 : i64, start = 1 : i64, size = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x2xf32>
// CHECK: grad.broadcast %s {shape = array<i64: 2, 3>} : (tensor<3xf32>) -> tensor<2x3xf32>
func.func @all(%x: tensor<2x3xf32>, %dy: tensor<2x3xf32>, %s: tensor<3xf32>, %img: tensor<1x2x5x5xf32>,
               %w: tensor<4x2x3x3xf32>, %cdy: tensor<1x4x2x2xf32>, %pdy: tensor<1x2x2x2xf32>,
               %labels: tensor<2xi64>, %one: tensor<f32>) {
  %0 = grad.relu %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = grad.gelu %x, %dy {approximate = "tanh"} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = grad.softmax %x, %dy {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %3:3 = grad.layernorm %x, %s, %dy {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %4 = grad.conv2d_input %cdy, %w {input_shape = array<i64: 1, 2, 5, 5>, strides = array<i64: 2, 2>} : (tensor<1x4x2x2xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  %5 = grad.conv2d_weight %img, %cdy {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5xf32>, tensor<1x4x2x2xf32>) -> tensor<4x2x3x3xf32>
  %6 = grad.maxpool2d %img, %pdy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x5x5xf32>
  %7 = grad.cross_entropy %x, %labels, %one : (tensor<2x3xf32>, tensor<2xi64>, tensor<f32>) -> tensor<2x3xf32>
  %8 = grad.slice %x {axis = 1 : i64, start = 1 : i64, size = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  %9 = grad.broadcast %s {shape = array<i64: 2, 3>} : (tensor<3xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

// CHECK-LABEL: func.func @activations
// CHECK: grad.sigmoid %y, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.tanh %y, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.hardsigmoid %x, %dy {alpha = 0.166666672 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.hardswish %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.leaky_relu %x, %dy {alpha = 1.000000e-01 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.clip %x, %dy {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.erf %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.swish %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.softplus %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.max_lhs %x, %b, %dy : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.min_lhs %b, %x, %dy : (tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: grad.reduce_max %x, %r, %rdy {axes = array<i64: 1>} : (tensor<2x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x3xf32>
func.func @activations(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>, %dy: tensor<2x3xf32>, %b: tensor<3xf32>,
                       %r: tensor<2xf32>, %rdy: tensor<2xf32>) {
  %0 = grad.sigmoid %y, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = grad.tanh %y, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = grad.hardsigmoid %x, %dy {alpha = 0.16666667 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = grad.hardswish %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = grad.leaky_relu %x, %dy {alpha = 0.1 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = grad.clip %x, %dy {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = grad.erf %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = grad.swish %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %8 = grad.softplus %x, %dy : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %9 = grad.max_lhs %x, %b, %dy : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %10 = grad.min_lhs %b, %x, %dy : (tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %11 = grad.reduce_max %x, %r, %rdy {axes = array<i64: 1>} : (tensor<2x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  func.return
}
