def demo_section() -> str: return ""
def field_service_example(): pass
