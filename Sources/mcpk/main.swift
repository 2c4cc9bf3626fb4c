print("mcpk")
