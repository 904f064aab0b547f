"""Where models come from: one module per source, the only code in modelpick that talks to a model hub.

hub.py is the Hugging Face Hub (through huggingface_hub); ModelScope, OpenRouter and Ollama join it here.
"""
