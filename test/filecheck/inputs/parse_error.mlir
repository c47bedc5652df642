func.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // a result type is missing below
  %0 = train.relu %a : (tensor<2x3xf32>) -> }
