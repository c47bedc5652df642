// train.batchnorm, train.batchnorm_update and grad.batchnorm parse, verify
// and print back unchanged (batchnorm_verify.mlir: malformed ones).
// RUN: tdopt %s | filecheck %s
// RUN: tdopt %s | tdopt | filecheck %s

// CHECK-LABEL: func.func @ops
func.func @ops(%x: tensor<2x3x4x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<2x3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2x3x4x4xf32>) {
  %m = train.param @m : tensor<3xf32>
  %v = train.param @v : tensor<3xf32>
  // CHECK: train.batchnorm %x, %s, %b, %m, %v {epsilon = 1.000000e-05 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  %0 = train.batchnorm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  // CHECK: train.batchnorm %x, %s, %b, %m, %v {epsilon = 1.000000e-03 : f32, momentum = 8.000000e-01 : f32, training}
  %1 = train.batchnorm %x, %s, %b, %m, %v {epsilon = 1.0e-03 : f32, momentum = 0.8 : f32, training} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  // CHECK: train.batchnorm_update %x, %m, %v {momentum = 8.000000e-01 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  %2, %3 = train.batchnorm_update %x, %m, %v {momentum = 0.8 : f32} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  // CHECK: grad.batchnorm %x, %s, %m, %v, %dy {epsilon = 1.000000e-05 : f32, training} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2x3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>)
  %4, %5, %6 = grad.batchnorm %x, %s, %m, %v, %dy {epsilon = 1.0e-05 : f32, training} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2x3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>)
  func.return %0, %2, %5, %4 : tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2x3x4x4xf32>
}
