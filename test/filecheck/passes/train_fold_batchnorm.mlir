// train-fold-batchnorm: a frozen inference batchnorm folds into the conv
// before it (w' = w * k, b' = (b - mean) * k + bias, k = scale / sqrt(var
// + eps): here k = [2, 0.5], so w' = [2, 0.5] and b' = [(1 - 1) * 2 + 3,
// (2 - 0) * 0.5 - 1] = [3, 0]); with a trainable weight it stays.
// RUN: tdopt %s -p train-fold-batchnorm | filecheck %s

// CHECK-LABEL: func.func @frozen
// CHECK-SAME: attributes {train.fold_batchnorm = 1 : i64}
// CHECK-NEXT: %w = train.param @w = dense<[[[[2.000000e+00]]], [[[5.000000e-01]]]]> : tensor<2x1x1x1xf32>
// CHECK-NEXT: %b = train.param @b = dense<[3.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: %y = train.conv2d %x, %w, %b {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT: func.return %y
func.func @frozen(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = train.param @w = dense<[[[[1.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>
  %b = train.param @b = dense<[1.0, 2.0]> : tensor<2xf32>
  %s = train.param @s = dense<[4.0, 1.0]> : tensor<2xf32>
  %t = train.param @t = dense<[3.0, -1.0]> : tensor<2xf32>
  %m = train.param @m = dense<[1.0, 0.0]> : tensor<2xf32>
  %v = train.param @v = dense<[4.0, 4.0]> : tensor<2xf32>
  %y = train.conv2d %x, %w, %b {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %n = train.batchnorm %y, %s, %t, %m, %v {epsilon = 0.0 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  func.return %n : tensor<1x2x3x3xf32>
}

// CHECK-LABEL: func.func @trainable
// CHECK-SAME: attributes {train.fold_batchnorm = 0 : i64}
// CHECK: train.conv2d
// CHECK-NEXT: train.batchnorm
func.func @trainable(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = train.param @w2 trainable : tensor<2x2x1x1xf32>
  %s = train.param @s2 = dense<[4.0, 1.0]> : tensor<2xf32>
  %m = train.param @m2 = dense<[1.0, 0.0]> : tensor<2xf32>
  %v = train.param @v2 = dense<[4.0, 4.0]> : tensor<2xf32>
  %y = train.conv2d %x, %w : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n = train.batchnorm %y, %s, %s, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  func.return %n : tensor<1x2x3x3xf32>
}
