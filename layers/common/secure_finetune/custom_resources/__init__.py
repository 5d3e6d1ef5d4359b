"""CloudFormation custom resources for the stack's network: the created VPC's default security group emptied, and the
id of the region's S3 managed prefix list (for a security-group egress rule to the S3 gateway endpoint)."""
