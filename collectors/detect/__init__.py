"""Recognition of model-serving workloads: signature tables and the pipeline that applies them."""
