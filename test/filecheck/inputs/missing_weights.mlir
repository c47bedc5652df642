builtin.module attributes {train.weights = "does_not_exist.npz"} {
  func.func @main(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
    %w = train.param @w : tensor<3x4xf32>
    %y = train.matmul %x, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    func.return %y : tensor<2x4xf32>
  }
}
