"""The read side: typed views of the registry, shared by the API, the pages, the CLI and exports."""
