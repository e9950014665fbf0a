"""Azure: who the user is to Azure, checked before anything is created."""
