"""AWS adapters: the only modules that call boto3. Domain modules never import them."""
